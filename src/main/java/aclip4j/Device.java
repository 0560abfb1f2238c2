package aclip4j;

import java.util.Locale;

/**
 * Where the ND4J twin runs: {@code cpu} (ND4J's native CPU backend, the default build) or {@code cuda} (ND4J's CUDA
 * 11.6 backend, a build with {@code mvn -Pcuda}). ND4J takes whichever backend the class path holds; {@code --device}
 * states which one the user expects, so that a run meant for a GPU fails at once, in one line, instead of training
 * on the CPU for hours. The SIMD twin always runs on the CPU.
 */
public enum Device {
    CPU, CUDA;

    /** ND4J's CUDA backend class: present only in a {@code -Pcuda} build. */
    static final String CUDA_BACKEND = "org.nd4j.linalg.jcublas.JCublasBackend";

    public static Device parse(String name) {
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "cpu": return CPU;
            case "cuda": case "gpu": return CUDA;
            default: throw new IllegalArgumentException("unknown device '" + name + "', expected cpu or cuda");
        }
    }

    /** Refuses, in one line naming the fix, a device this build, backend or machine cannot give. */
    public void require(Backend backend) {
        if (this == CPU) {
            return;
        }
        if (backend != Backend.ND4J) {
            throw new IllegalArgumentException("--device cuda runs the nd4j twin: add --backend nd4j (the simd twin is"
                    + " CPU-only)");
        }
        try {
            Class.forName(CUDA_BACKEND, false, Device.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("--device cuda: this build has ND4J's CPU backend only; build with"
                    + " mvn -Pcuda -DskipTests package (needs CUDA 11.6 and an NVIDIA GPU); see the README's GPU section");
        }
        int devices;
        try {
            devices = org.nd4j.linalg.factory.Nd4j.getAffinityManager().getNumberOfDevices();
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalArgumentException("--device cuda: ND4J's CUDA backend did not start (" + e.getMessage()
                    + "); is there an NVIDIA GPU and a CUDA 11.6 driver?");
        }
        if (devices < 1 || !org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getName().equals(CUDA_BACKEND)) {
            throw new IllegalArgumentException("--device cuda: ND4J started " + org.nd4j.linalg.factory.Nd4j.getBackend()
                    .getClass().getSimpleName() + " with " + devices + " device(s), not the CUDA backend on a GPU");
        }
    }
}
