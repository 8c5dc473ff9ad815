namespace InferenceServer.Bench;

/// <summary>Minimal <c>--name value</c> argument reader for the bench commands.</summary>
internal sealed class Cli(string[] args)
{
    public string? Get(string name)
    {
        int i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public string Get(string name, string fallback) => Get(name) ?? fallback;
    public int Get(string name, int fallback) => Get(name) is { } v ? int.Parse(v) : fallback;
    public bool Has(string name) => args.Contains("--" + name);
    public int[] GetList(string name, int[] fallback) => Get(name) is { } v ? v.Split(',').Select(int.Parse).ToArray() : fallback;
}
