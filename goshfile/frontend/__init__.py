"""The BuildKit gateway frontend: goshfile -> LLB -> image, over BuildKit's gRPC API."""
