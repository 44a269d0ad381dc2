/**
 * Core's side of the app-facing Tao API ({@code tao-api}): {@link dev.cloudproxy.tao.bridge.ApiTao}
 * adapts any {@link dev.cloudproxy.tao.CoreTao} to {@link dev.cloudproxy.tao.Tao}, and
 * {@link dev.cloudproxy.tao.bridge.ParentTaoProvider} makes {@code Tao.parent()} reach the host
 * when no agent bound it.
 */
package dev.cloudproxy.tao.bridge;
