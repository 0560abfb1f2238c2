"""The PyTorch oracle for aclip4j's golden suite (GOLDENS.md); the math of SPEC.md in float64."""
