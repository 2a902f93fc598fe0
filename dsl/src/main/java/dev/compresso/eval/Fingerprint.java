package dev.compresso.eval;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a named sweep is checked against when it resumes: a SHA-256 of its plan (grid and seeds) and
 * of the recipe's code, the class file in which the recipe lambda was written. JShell gives each
 * snippet class a new number ({@code $JShell$12}) every time a cell runs, so those numbers are left
 * out: the same cell re-run in a new kernel has the same fingerprint, an edited one another.
 */
final class Fingerprint {

    private Fingerprint() {}

    static String of(String plan, Object recipe) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(plan.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(code(recipe.getClass()));
            md.update(lambdaMethod(recipe).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For a serializable lambda, the method that holds its body and the types it captures; else "". */
    static String lambdaMethod(Object recipe) {
        try {
            java.lang.reflect.Method m = recipe.getClass().getDeclaredMethod("writeReplace");
            m.setAccessible(true);
            if (m.invoke(recipe) instanceof java.lang.invoke.SerializedLambda l) {
                StringBuilder sb = new StringBuilder(l.getImplMethodName()).append(l.getImplMethodSignature());
                for (int i = 0; i < l.getCapturedArgCount(); i++) {
                    Object a = l.getCapturedArg(i);
                    sb.append(' ').append(a == null ? "null" : a.getClass().getName());
                }
                return withoutSnippetNumbers(sb.toString());
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not a serializable lambda: the class file alone identifies it
        }
        return "";
    }

    /** The recipe's class file with JShell's snippet numbers left out; its name if the bytes cannot be read. */
    static byte[] code(Class<?> type) {
        Class<?> host = type.isHidden() || type.isSynthetic() ? type.getNestHost() : type;
        String resource = host.getName().replace('.', '/') + ".class";
        ClassLoader loader = host.getClassLoader() == null ? ClassLoader.getSystemClassLoader() : host.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in != null) {
                return normalized(in.readAllBytes());
            }
        } catch (IOException e) {
            // fall through to the name
        }
        return withoutSnippetNumbers(host.getName()).getBytes(StandardCharsets.UTF_8);
    }

    static String withoutSnippetNumbers(String s) {
        return s.replaceAll("\\$JShell\\$\\d+", "\\$JShell\\$");
    }

    /**
     * The class file's constant pool with snippet numbers taken out of its strings, followed by the
     * rest of the file (the code), which refers to the pool by index only.
     */
    static byte[] normalized(byte[] classFile) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(classFile))) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(classFile.length);
            in.skipBytes(8); // magic, minor, major: a class compiled by another javac is another recipe too, but harmlessly
            int count = in.readUnsignedShort();
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                out.write(tag);
                switch (tag) {
                    case 1 -> out.writeBytes(withoutSnippetNumbers(in.readUTF()).getBytes(StandardCharsets.UTF_8));
                    case 3, 4 -> out.writeBytes(in.readNBytes(4));
                    case 5, 6 -> {
                        out.writeBytes(in.readNBytes(8));
                        i++;
                    }
                    case 7, 8, 16, 19, 20 -> out.writeBytes(in.readNBytes(2));
                    case 9, 10, 11, 12, 17, 18 -> out.writeBytes(in.readNBytes(4));
                    case 15 -> out.writeBytes(in.readNBytes(3));
                    default -> {
                        return classFile; // a constant this reader does not know: use the file as it is
                    }
                }
                out.write(0);
            }
            out.writeBytes(in.readAllBytes());
            return out.toByteArray();
        } catch (IOException e) {
            return classFile;
        }
    }
}
