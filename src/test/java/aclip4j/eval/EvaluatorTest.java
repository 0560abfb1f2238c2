package aclip4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class EvaluatorTest {
    @Test
    void evaluationViewIsTheCentredShortSideSquare() {
        assertArrayEquals(new int[] {0, 0, 64, 64}, Evaluator.centreSquare(64, 64), "a square image is seen whole");
        assertArrayEquals(new int[] {0, 20, 60, 60}, Evaluator.centreSquare(60, 100), "landscape: centred columns");
        assertArrayEquals(new int[] {15, 0, 30, 30}, Evaluator.centreSquare(60, 30), "portrait: centred rows");
        // torchvision's CenterCrop rounds (H - side) / 2 half to even, as Python's round does: 2.5 -> 2, 3.5 -> 4
        assertArrayEquals(new int[] {0, 2, 10, 10}, Evaluator.centreSquare(10, 15));
        assertArrayEquals(new int[] {4, 0, 10, 10}, Evaluator.centreSquare(17, 10));
        assertArrayEquals(new int[] {0, 0, 1, 1}, Evaluator.centreSquare(1, 2));
    }
}
