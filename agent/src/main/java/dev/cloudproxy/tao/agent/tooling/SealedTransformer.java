package dev.cloudproxy.tao.agent.tooling;

import java.lang.instrument.ClassFileTransformer;
import java.nio.charset.StandardCharsets;
import java.security.ProtectionDomain;
import net.bytebuddy.jar.asm.AnnotationVisitor;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.FieldVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Adds {@code SealedHooks.restore(ThisClass.class)} at every normal exit of the static initializer
 * of each class that has a {@code @TaoSealed} field (adding a static initializer if there is none),
 * so the stored values replace the initial ones as the class initializes, and fields that cannot be
 * sealed make initialization fail with a message naming them.
 *
 * <p>Cheap for every other class: it only searches the class bytes for the annotation's descriptor
 * (which a class using the annotation must have in its constant pool) before parsing anything.
 * Uses the ASM that Byte Buddy carries.
 */
final class SealedTransformer implements ClassFileTransformer {
    private static final String DESCRIPTOR = "L" + SealedState.ANNOTATION.replace('.', '/') + ";";
    private static final byte[] NEEDLE = DESCRIPTOR.getBytes(StandardCharsets.UTF_8);
    private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();
    private static final String HOOKS = "dev/cloudproxy/tao/agent/SealedHooks";

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> redefining, ProtectionDomain domain, byte[] bytes) {
        if (redefining != null || loader == null || loader == PLATFORM || className == null
                || !contains(bytes, NEEDLE)) {
            return null;
        }
        ClassReader reader = new ClassReader(bytes);
        if (!hasSealedField(reader)) {
            return null;
        }
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        reader.accept(new AddRestore(writer), 0);
        return writer.toByteArray();
    }

    private static boolean hasSealedField(ClassReader reader) {
        boolean[] found = new boolean[1];
        reader.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
                return new FieldVisitor(Opcodes.ASM9) {
                    @Override
                    public AnnotationVisitor visitAnnotation(String desc, boolean visible) {
                        if (desc.equals(DESCRIPTOR)) {
                            found[0] = true;
                        }
                        return null;
                    }
                };
            }
        }, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return found[0];
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0, last = haystack.length - needle.length; i <= last; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static final class AddRestore extends ClassVisitor {
        private String internalName;
        private boolean hasClinit;

        AddRestore(ClassVisitor next) {
            super(Opcodes.ASM9, next);
        }

        @Override
        public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
            internalName = name;
            super.visit(version, access, name, signature, superName, interfaces);
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
            MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
            if (!name.equals("<clinit>")) {
                return mv;
            }
            hasClinit = true;
            return new MethodVisitor(Opcodes.ASM9, mv) {
                @Override
                public void visitInsn(int opcode) {
                    if (opcode == Opcodes.RETURN) {
                        callRestore(mv);
                    }
                    super.visitInsn(opcode);
                }
            };
        }

        @Override
        public void visitEnd() {
            if (!hasClinit) {
                MethodVisitor mv = super.visitMethod(Opcodes.ACC_STATIC, "<clinit>", "()V", null, null);
                mv.visitCode();
                callRestore(mv);
                mv.visitInsn(Opcodes.RETURN);
                mv.visitMaxs(0, 0);
                mv.visitEnd();
            }
            super.visitEnd();
        }

        private void callRestore(MethodVisitor mv) {
            mv.visitLdcInsn(Type.getObjectType(internalName));
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, "restore", "(Ljava/lang/Class;)V", false);
        }
    }
}
