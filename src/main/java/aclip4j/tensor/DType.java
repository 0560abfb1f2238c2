package aclip4j.tensor;

/** Element types of the golden format (goldens/README.md): the safetensors names and their sizes in bytes. */
public enum DType {
    F32(4), F64(8), I32(4), U8(1);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public static DType parse(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "', expected F32, F64, I32 or U8");
    }

    public boolean isFloat() {
        return this == F32 || this == F64;
    }
}
