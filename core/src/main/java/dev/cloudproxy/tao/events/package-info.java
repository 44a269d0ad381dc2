/**
 * JDK Flight Recorder events of the Tao's processes ({@link dev.cloudproxy.tao.events.TaoEvents}).
 */
package dev.cloudproxy.tao.events;
