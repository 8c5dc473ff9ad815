using System.Runtime.InteropServices;
using System.Text;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// The llama.cpp grammar entry points LLamaSharp wraps without a failure check (its <c>AddGrammar</c> adds a null
/// sampler when the grammar does not parse), bound through function pointers to the <c>libllama</c> LLamaSharp loaded.
/// </summary>
internal static unsafe class LlamaGrammarNative
{
    private static readonly delegate* unmanaged[Cdecl]<nint, nint> GetVocab;
    private static readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint> InitGrammar;
    private static readonly delegate* unmanaged[Cdecl]<nint, nint, void> ChainAdd;
    private static readonly delegate* unmanaged[Cdecl]<nint, void> Free;

    static LlamaGrammarNative()
    {
        NativeApi.llama_empty_call();
        // Routed through LLamaSharp's resolver, which hands back the library it selected and loaded.
        if (!NativeLibrary.TryLoad("llama", typeof(NativeApi).Assembly, null, out var llama))
            throw new DllNotFoundException("LLamaSharp's libllama is not loaded.");
        GetVocab = (delegate* unmanaged[Cdecl]<nint, nint>)NativeLibrary.GetExport(llama, "llama_model_get_vocab");
        InitGrammar = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint>)NativeLibrary.GetExport(llama, "llama_sampler_init_grammar");
        ChainAdd = (delegate* unmanaged[Cdecl]<nint, nint, void>)NativeLibrary.GetExport(llama, "llama_sampler_chain_add");
        Free = (delegate* unmanaged[Cdecl]<nint, void>)NativeLibrary.GetExport(llama, "llama_sampler_free");
    }

    /// <summary>
    /// Creates llama.cpp's grammar sampler for <paramref name="gbnf"/> (start rule <c>root</c>); on failure returns 0
    /// and llama.cpp's explanation.
    /// </summary>
    public static (nint Sampler, string? Error) Create(SafeLlamaModelHandle model, string gbnf)
    {
        byte[] text = NulTerminated(gbnf), root = NulTerminated("root");
        var (sampler, lines) = LlamaNativeSetup.CaptureOnThisThread(() =>
        {
            fixed (byte* t = text, r = root)
                return InitGrammar(GetVocab(model.DangerousGetHandle()), t, r);
        });
        return sampler != 0 ? (sampler, null) : (0, Explain(lines, gbnf));
    }

    /// <summary>Hands <paramref name="sampler"/> to <paramref name="chain"/>, which frees it with itself.</summary>
    public static void AddTo(SafeLLamaSamplerChainHandle chain, nint sampler) => ChainAdd(chain.DangerousGetHandle(), sampler);

    /// <summary>Frees a sampler no chain owns.</summary>
    public static void Release(nint sampler) => Free(sampler);

    // llama.cpp prints the parser's reason to stderr and logs only a summary ("failed to parse grammar", or the left
    // recursion it found); the summary is kept and our own diagnosis of the text added when it finds something.
    private static string Explain(IReadOnlyList<string> lines, string gbnf)
    {
        string logged = string.Join(" ", lines.Select(l => l.Trim()).Where(l => l.Length > 0));
        if (logged.Length == 0)
            logged = "llama.cpp could not parse the grammar";
        return InferenceServer.Engine.Grammar.GbnfDiagnostics.Explain(gbnf) is { } why ? $"{logged}: {why}" : logged;
    }

    private static byte[] NulTerminated(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}
