/** {@code @TaoSealed}: state that only this program, on this host, can read back. */
package dev.cloudproxy.tao.samples.sealed;
