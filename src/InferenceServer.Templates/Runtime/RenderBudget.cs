namespace InferenceServer.Templates.Runtime;

/// <summary>
/// Bounds on one render, so a template from an untrusted GGUF cannot exhaust memory or loop for hours: any one string
/// or list, and the output, hold at most <see cref="MaxLength"/> characters (items); statements, loop iterations and
/// operators count as steps, at most <see cref="MaxSteps"/> per render. Chat templates use a few thousand steps and
/// strings of a prompt's length. Counted per thread: a render runs on one thread from start to end.
/// </summary>
internal static class RenderBudget
{
    /// <summary>Most characters in a string or the output, and items in a list (4 Mi: several times any context window).</summary>
    public const int MaxLength = 4 * 1024 * 1024;

    /// <summary>Most steps (statements, loop iterations, operator results) in one render.</summary>
    public const long MaxSteps = 5_000_000;

    [ThreadStatic]
    private static long t_steps;

    /// <summary>Starts counting a new render on this thread.</summary>
    public static void Begin() => t_steps = 0;

    /// <summary>Counts one step with the current output length.</summary>
    /// <exception cref="TemplateException">The render went past a bound.</exception>
    public static void Step(int outputLength)
    {
        if (++t_steps > MaxSteps)
            throw new TemplateException($"the template exceeded its render budget of {MaxSteps} steps");
        if (outputLength > MaxLength)
            throw TooLong("its output");
    }

    /// <summary>Counts a computed value and checks its size; returns it.</summary>
    /// <exception cref="TemplateException">The value, or the render, went past a bound.</exception>
    public static object? Check(object? value)
    {
        Step(0);
        int length = value switch { string s => s.Length, List<object?> l => l.Count, _ => 0 };
        return length > MaxLength ? throw TooLong(value is string ? "a string" : "a list") : value;
    }

    /// <summary>Refuses a repetition (<c>s * n</c>) before allocating it.</summary>
    /// <exception cref="TemplateException">The result would pass <see cref="MaxLength"/>.</exception>
    public static void CheckRepeat(long length, long count)
    {
        if (count > 0 && length > 0 && length > MaxLength / count)
            throw TooLong(count * length < 0 ? "a repetition" : $"a repetition of {length} × {count}");
    }

    private static TemplateException TooLong(string what) =>
        new($"the template exceeded its render budget: {what} would hold more than {MaxLength} characters or items");
}
