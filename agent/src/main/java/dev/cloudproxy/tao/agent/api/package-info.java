/**
 * What an application may compile against (the {@code tao-agent} jar with classifier {@code api}:
 * a few JDK-only classes): {@link dev.cloudproxy.tao.agent.api.TaoSealed} and
 * {@link dev.cloudproxy.tao.agent.api.TaoSealedState}. An app that uses neither needs nothing.
 */
package dev.cloudproxy.tao.agent.api;
