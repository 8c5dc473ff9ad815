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
    public double Get(string name, double fallback) =>
        Get(name) is { } v ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
    public bool Has(string name) => args.Contains("--" + name);
    public int[] GetList(string name, int[] fallback) => Get(name) is { } v ? v.Split(',').Select(int.Parse).ToArray() : fallback;

    /// <summary>Every value of an option that may be repeated (<c>--server-arg A=1 --server-arg B=2</c>).</summary>
    public string[] GetAll(string name) =>
        args.Select((a, i) => (a, i)).Where(p => p.a == "--" + name && p.i + 1 < args.Length).Select(p => args[p.i + 1]).ToArray();
}
