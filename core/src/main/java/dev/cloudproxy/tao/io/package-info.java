/**
 * Small, careful file operations shared by the parts that store keys and sealed state.
 *
 * <p>{@link dev.cloudproxy.tao.io.AtomicFiles} writes a file so that a crash at any moment leaves
 * either the old content or the new one, and creates secret files owner-only from the first byte.
 */
package dev.cloudproxy.tao.io;
