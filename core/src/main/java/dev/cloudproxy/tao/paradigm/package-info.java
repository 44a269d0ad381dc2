/**
 * The Tao paradigm: a program's keys and program certificate in one call ({@link
 * dev.cloudproxy.tao.paradigm.TaoParadigm}), sealed by its Tao between runs.
 */
package dev.cloudproxy.tao.paradigm;
