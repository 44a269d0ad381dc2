package dev.cloudproxy.tao;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A static field whose value the Tao agent keeps sealed to this program: when the class is
 * initialized the agent restores the value it last sealed (after the field's own initializer
 * ran), and it seals the current values again when they have changed: periodically, at
 * shutdown and on {@link TaoSealedState#flush()}.
 *
 * <p>The sealed state is bound to the program's full Tao name: a changed jar, other JVM options or
 * another host cannot read it, and the agent then refuses to start the program rather than
 * silently start afresh and overwrite it (docs/agent.md).
 *
 * <p>Supported: {@code static}, non-{@code final} fields of the eight primitive types, their boxes,
 * {@link String} and {@code byte[]} (boxes, strings and arrays may be null). Anything else is
 * refused when the class initializes, with an error naming the field.
 *
 * <p>Without the agent the annotation does nothing.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface TaoSealed {}
