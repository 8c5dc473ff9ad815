using InferenceServer.Bench;

// InferenceServer benchmarks. Every command prints markdown; numbers are measured side by side in one run.
InferenceServer.LlamaSharp.LlamaNativeSetup.Configure(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
var cli = new Cli(args);
// With --server-arg Model:NativeLibrary=PATH the in-process loops (ceilings, raw batched loops) run on the same llama.cpp
// as the server they are compared with.
const string nativeLibraryArg = "Model:NativeLibrary=";
if (cli.GetAll("server-arg").Select(a => a.TrimStart('-')).LastOrDefault(a => a.StartsWith(nativeLibraryArg, StringComparison.Ordinal)) is { } native)
    InferenceServer.LlamaSharp.LlamaNativeSetup.UseLibrary(native[nativeLibraryArg.Length..]);
LoadSweep.TimingsDirectory = cli.Get("timings");
try
{
    switch (args.FirstOrDefault())
    {
        case "generate-model":
            GenerateModel.Run(cli);
            break;
        case "kv-layout":
            KvLayoutBench.Run(cli);
            break;
        case "chunked-prefill":
            await ChunkedPrefillBench.RunAsync(cli);
            break;
        case "kv-memory":
            await KvMemoryBench.RunAsync(cli);
            break;
        case "kv-memory-child":
            KvMemoryBench.RunChild(cli);
            break;
        case "engine-decode":
            await EngineProbe.RunAsync(cli);
            break;
        case "grammar-cost":
            await GrammarCostBench.RunAsync(cli);
            break;
        case "logprobs-cost":
            await LogprobsCostBench.RunAsync(cli);
            break;
        case "report":
            return await ReportCommand.RunAsync(cli);
        case "compare":
            return await CompareCommand.RunAsync(cli);
        case "load":
            return await LoadCommand.RunAsync(cli);
        case "soak":
            return await SoakCommand.RunAsync(cli);
        default:
            if (args.Length > 0)
                Console.Error.WriteLine($"unknown command '{args[0]}'");
            Console.WriteLine("""
                usage: InferenceServer.Bench <command> [--option value]...
                  (compare, report and load also take --timings DIR: each level's requests as CSV, by send time)
                  generate-model  --preset tiny|small|base [--type f16|q8_0|q4_k_m] [--seed N] [--out PATH]
                                  [--template FILE.jinja]   (a catalogued real template and its special tokens; preset default tiny)
                  kv-layout       [--preset small] [--sequences 16] [--tokens 256,1024] [--threads 2] [--steps 16] [--flash-attention]
                  chunked-prefill [--preset small] [--streams 4] [--batch-tokens 512,256,128] [--threads 2]
                  kv-memory       [--preset small] [--tokens 4096]
                  engine-decode   [--preset small] [--concurrency 16] [--prompt-tokens 32] [--output-tokens 128] [--blocks N]
                  grammar-cost    [--preset small] [--weights f16] [--concurrency 1,16] [--prompt-tokens 32] [--output-tokens 128] [--rounds 2]
                                  [--threads 2] [--no-walk]   (TPOT with a json_schema grammar beside none, alternating, and the ratio)
                  logprobs-cost   [--preset small] [--weights f16] [--concurrency 1,16] [--prompt-tokens 32] [--output-tokens 128]
                                  [--rounds 2] [--threads N]   (TPOT with logprobs 5 beside none, alternating, and the ratio)
                  report          [--quick] [--preset small --weights f16|q8_0|q4_k_m] [--threads N] [--out docs/benchmarks.md]
                                  (no --preset: small f16 then base q8_0; threads default: cores - 1)
                                  [--scenarios decode,prefill,shared,growth] [--level-minutes 30] [--server-arg Section:Key=value]...
                                  [--peer http://127.0.0.1:8090/v1 [--peer-name llama-server]]   (peer: same model, needs --preset)
                  compare         --peer http://127.0.0.1:8090/v1 [--peer-name llama-server] [--batched-bench PATH
                                  [--batched-layout unified|per-sequence] [--batched-flash-attention]]
                                  [--preset base --weights q8_0] [--threads N] [--server-arg Section:Key=value]...
                                  [--scenarios decode-heavy,long-prompt,shared-prefix] [--level-minutes 10] [--quick] [--out FILE]   (the issue's table: this server / peer)
                  load            --url http://127.0.0.1:8000/v1 --model ID [--concurrency 1,2,4,8,16,32] [--prompt-tokens 32]
                                  [--output-tokens 128] [--vocab 8192]   (any OpenAI-compatible server)
                  soak            --preset tiny|small|base [--weights f16] [--threads N] [--server-arg Section:Key=value]...
                                  | --url http://127.0.0.1:8000/v1 --model ID [--pid PID] [--vocab 8192]
                                  [--concurrency 16] [--minutes 10] [--max-requests N] [--seed 1] [--pool 16] [--rss-seconds 5]
                                  [--out FILE]   (exit 1 on a mismatch, an error or a leaked KV block)
                """);
            return args.Length == 0 ? 0 : 2;
    }
}
catch (Exception ex) when (ex is ArgumentException or FormatException or HttpRequestException or FileNotFoundException)
{
    // A wrong option, an unknown preset or a server that is not there: say so in one line.
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
return 0;
