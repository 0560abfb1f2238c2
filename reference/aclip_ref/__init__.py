"""The PyTorch oracle for aclip4j's golden suite (goldens/README.md); the math of docs/SPEC.md in float64."""
