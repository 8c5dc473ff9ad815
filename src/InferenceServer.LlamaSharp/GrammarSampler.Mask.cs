using LLama.Native;

namespace InferenceServer.LlamaSharp;

public sealed partial class GrammarSampler
{
    private readonly bool[] _allowedFirst = new bool[128];
    private LLamaTokenData[] _probe = [];
    private LLamaTokenData[] _rest = [];
    private int[] _restIndex = [];

    /// <summary>
    /// The grammar's mask over all candidates (in token order), exactly as llama.cpp's grammar sampler sets it, but
    /// cheaper: where the output ends on a whole character, one pass over the single-character tokens
    /// (<see cref="FirstCharIndex"/>) tells which ASCII characters may come next; tokens starting with a refused one
    /// are refused here, and llama.cpp checks only the others. Mid-character, llama.cpp checks all.
    /// </summary>
    private void ApplyGrammar(ref LLamaTokenDataArrayNative native)
    {
        if (!_utf8.AtBoundary)
        {
            _grammar!.Apply(ref native);
            return;
        }
        var index = FirstCharIndex.For(_model);
        if (!_probeFresh)
            ProbeFirstChars(index);
        var data = native.Data;
        if (_rest.Length < data.Length)
            (_rest, _restIndex) = (new LLamaTokenData[data.Length], new int[data.Length]);
        int n = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (float.IsNegativeInfinity(data[i].Logit))
                continue;
            int c = index.FirstChar[(int)data[i].ID];
            if (c >= 0 && !_allowedFirst[c])
                data[i].Logit = float.NegativeInfinity;
            else
            {
                _rest[n] = data[i];
                _restIndex[n++] = i;
            }
        }
        if (n == 0)
            return;
        using (var pin = LLamaTokenDataArrayNative.Create(new LLamaTokenDataArray(_rest.AsMemory(0, n), false), out var rest))
        {
            _grammar!.Apply(ref rest);
            var checkedRest = rest.Data;
            for (int k = 0; k < n; k++)
                if (float.IsNegativeInfinity(checkedRest[k].Logit))
                    data[_restIndex[k]].Logit = float.NegativeInfinity;
        }
    }

    // Whether _allowedFirst is for the grammar's current state (the walk may have probed it this draw).
    private bool _probeFresh;

    private void ProbeFirstChars(FirstCharIndex index)
    {
        _probeFresh = true;
        if (_probe.Length == 0)
            _probe = new LLamaTokenData[128];
        int n = 0;
        foreach (int token in index.Probe)
            if (token >= 0)
                _probe[n++] = new LLamaTokenData((LLamaToken)token, 0f, 0f);
        Array.Clear(_allowedFirst);
        using var pin = LLamaTokenDataArrayNative.Create(new LLamaTokenDataArray(_probe.AsMemory(0, n), false), out var native);
        _grammar!.Apply(ref native);
        foreach (var candidate in native.Data)
            if (!float.IsNegativeInfinity(candidate.Logit))
                _allowedFirst[index.FirstChar[(int)candidate.ID]] = true;
    }

    /// <summary>Tokens the grammar allows now, by the full llama.cpp pass or the first-character pass (lets tests compare the two).</summary>
    internal bool[] AllowedTokens(int vocabSize, bool byFirstChar)
    {
        var candidates = new LLamaTokenData[vocabSize];
        for (int t = 0; t < vocabSize; t++)
            candidates[t] = new LLamaTokenData((LLamaToken)t, 0f, 0f);
        using var pin = LLamaTokenDataArrayNative.Create(new LLamaTokenDataArray(candidates, false), out var native);
        if (byFirstChar)
            ApplyGrammar(ref native);
        else
            _grammar!.Apply(ref native);
        var data = native.Data;
        var allowed = new bool[vocabSize];
        for (int i = 0; i < data.Length; i++)
            allowed[(int)data[i].ID] = !float.IsNegativeInfinity(data[i].Logit);
        return allowed;
    }
}
