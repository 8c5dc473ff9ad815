namespace InferenceServer.ModelGeneration;

/// <summary>
/// Storage type of the 2-D weight matrices in a synthetic GGUF model (norm vectors are always F32).
/// Values mirror ggml's <c>enum ggml_type</c> (ggml.h).
/// </summary>
public enum SyntheticWeightType
{
    /// <summary>32-bit IEEE float (<c>GGML_TYPE_F32</c>); GGUF <c>general.file_type</c> = 0 (ALL_F32).</summary>
    F32 = 0,

    /// <summary>16-bit IEEE half (<c>GGML_TYPE_F16</c>, <see cref="Half"/>); <c>general.file_type</c> = 1 (MOSTLY_F16).</summary>
    F16 = 1,
}
