using InferenceServer.Engine;
using InferenceServer.Engine.Execution;
using InferenceServer.Engine.Models;
using InferenceServer.Engine.Tests;
using InferenceServer.Engine.Tests.Models;

namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>
/// The model of the contract tests: a <see cref="FakeModelRunner"/> sized by the configured engine options as llama.cpp
/// would be for a 4096-token model (as the demo model), writing lowercase letters and spaces (never the end-of-text
/// token, so every choice runs to its max_tokens), served with a 1024-token <see cref="ByteTokenizer"/>, the plain
/// chat template and a grammar check that accepts everything.
/// </summary>
public sealed class FakeRunnerFactory : IModelRunnerFactory
{
    /// <summary>Training context of the fake model, in tokens.</summary>
    public const int ContextTokens = 4096;

    /// <summary>Wall time each step takes, so a test can act while a request runs (zero: as fast as the engine goes).</summary>
    public TimeSpan StepDelay { get; init; }

    public Task<LoadedModel> CreateAsync(EngineOptions options, CancellationToken cancellationToken)
    {
        int numBlocks = options.ResolveNumBlocks(ContextTokens);
        var info = new ModelInfo(Math.Min(ContextTokens, numBlocks * options.BlockSize), 1024, new HashSet<int> { ByteTokenizer.EndOfText },
            numBlocks, options.PrefixCaching ? 16 : 0);
        var runner = new FakeModelRunner(info, Letter, options.BlockSize) { StepDelay = StepDelay };
        var served = new ServedModel(new ByteTokenizer(info.VocabSize), new PlainChatTemplate(), new AcceptingGrammarChecker(),
            DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        return Task.FromResult(new LoadedModel(runner, served));
    }

    private static int Letter(int last, int position)
    {
        int r = (last * 31 + position * 7 + 3) % 27;
        return r == 26 ? ' ' : 'a' + r;
    }
}
