/**
 * The auth language of CloudProxy: principal names, statements and guard rules, with their text
 * and binary forms.
 *
 * <p>Elements are immutable records under the sealed interfaces {@link dev.cloudproxy.tao.auth.Term}
 * and {@link dev.cloudproxy.tao.auth.Form}. {@code toString()} is the canonical text; parse with
 * {@code Form.parse}, {@code Term.parse} or {@code Prin.parse}; encode with {@code encode()} and
 * decode with {@code Form.decode} and friends. Parsing and decoding are total on hostile input:
 * anything malformed, truncated, oversized or too deeply nested gives an
 * {@link dev.cloudproxy.tao.auth.AuthFormatException} that says what and where.
 *
 * <p>This module depends on the JDK only.
 */
package dev.cloudproxy.tao.auth;
