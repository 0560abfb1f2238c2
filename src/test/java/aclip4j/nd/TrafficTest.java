package aclip4j.nd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TrafficTest {
    @Test
    void countsTheBytesOfEveryConversion() {
        long in = Traffic.toNd4j(), out = Traffic.fromNd4j();
        var a = Nd.f32(new float[10], 2, 5);
        assertEquals(in + 40, Traffic.toNd4j());
        Nd.f64(new double[3], 3);
        assertEquals(in + 40 + 24, Traffic.toNd4j());
        float[] back = Nd.floats(a);
        assertEquals(10, back.length);
        assertEquals(out + 40, Traffic.fromNd4j());
        Nd.ints(a);
        assertEquals(out + 80, Traffic.fromNd4j());
    }
}
