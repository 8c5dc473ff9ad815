using System.Runtime.InteropServices;
using System.Text;
using LLama.Native;

namespace InferenceServer.LlamaSharp;

/// <summary>
/// The llama.cpp grammar entry points LLamaSharp wraps without a failure check (its <c>AddGrammar</c> adds a null
/// sampler when the grammar does not parse), bound through function pointers to the <c>libllama</c> LLamaSharp loaded.
/// LLamaSharp's <c>AddLazyGrammar</c> also declares <c>llama_sampler_init_grammar_lazy_patterns</c> without its
/// <c>num_trigger_patterns</c> argument (every later argument lands one slot off), so the lazy entry point is bound here
/// with the signature of <c>llama.h</c> at the llama.cpp commit LLamaSharp 0.30 ships (c0c7e147).
/// </summary>
internal static unsafe class LlamaGrammarNative
{
    private static readonly delegate* unmanaged[Cdecl]<nint, nint> GetVocab;
    private static readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint> InitGrammar;
    // (vocab, grammar_str, grammar_root, const char** trigger_patterns, size_t num_trigger_patterns,
    //  const llama_token* trigger_tokens, size_t num_trigger_tokens) -> llama_sampler*
    private static readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, byte**, nuint, int*, nuint, nint> InitLazy;
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
        InitLazy = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, byte**, nuint, int*, nuint, nint>)NativeLibrary.GetExport(llama, "llama_sampler_init_grammar_lazy_patterns");
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

    /// <summary>
    /// Creates llama.cpp's lazy grammar sampler: inactive until one of <paramref name="patterns"/> (ECMAScript, searched
    /// in the text generated so far) matches or one of <paramref name="tokens"/> is sampled. On failure returns 0 and
    /// llama.cpp's explanation. The patterns must be valid for <c>std::regex</c>: llama.cpp compiles them without a
    /// catch, and an exception crossing into .NET ends the process.
    /// </summary>
    public static (nint Sampler, string? Error) CreateLazy(SafeLlamaModelHandle model, string gbnf,
        IReadOnlyList<string> patterns, IReadOnlyList<int> tokens)
    {
        byte[] text = NulTerminated(gbnf), root = NulTerminated("root");
        var patternBytes = patterns.Select(NulTerminated).ToArray();
        var handles = patternBytes.Select(p => GCHandle.Alloc(p, GCHandleType.Pinned)).ToArray();
        try
        {
            var pointers = handles.Select(h => h.AddrOfPinnedObject()).ToArray();
            int[] tokenIds = [.. tokens];
            var (sampler, lines) = LlamaNativeSetup.CaptureOnThisThread(() =>
            {
                fixed (byte* t = text, r = root)
                fixed (nint* p = pointers)
                fixed (int* k = tokenIds)
                    return InitLazy(GetVocab(model.DangerousGetHandle()), t, r, (byte**)p, (nuint)pointers.Length, k, (nuint)tokenIds.Length);
            });
            return sampler != 0 ? (sampler, null) : (0, Explain(lines, gbnf));
        }
        finally
        {
            foreach (var h in handles)
                h.Free();
        }
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
