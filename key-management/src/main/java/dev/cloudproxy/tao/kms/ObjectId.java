package dev.cloudproxy.tao.kms;

import java.util.Objects;

/**
 * One epoch of a protected object: {@code /zone/key/folder-key#3}. Epochs count from 1; the
 * master key ({@link ObjectName#ROOT}) is always epoch 1 in this version.
 */
public record ObjectId(ObjectName name, int epoch) implements Comparable<ObjectId> {
    /** The program's master key, the root of every chain. */
    public static final ObjectId MASTER = new ObjectId(ObjectName.ROOT, 1);

    public ObjectId {
        Objects.requireNonNull(name, "name");
        if (epoch < 1) {
            throw new IllegalArgumentException("epochs count from 1");
        }
    }

    /** {@code of("/zone/key/k", 3)}. */
    public static ObjectId of(String name, int epoch) {
        return new ObjectId(ObjectName.of(name), epoch);
    }

    @Override
    public int compareTo(ObjectId other) {
        int byName = name.compareTo(other.name);
        return byName != 0 ? byName : Integer.compare(epoch, other.epoch);
    }

    @Override
    public String toString() {
        return name + "#" + epoch;
    }
}
