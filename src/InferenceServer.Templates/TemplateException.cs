namespace InferenceServer.Templates;

/// <summary>
/// A template failed to parse or to render. <see cref="Line"/> is the 1-based template line the error comes from
/// (0 when unknown); the message names it too. <c>raise_exception(msg)</c> in a template surfaces here with
/// <see cref="IsRaisedByTemplate"/> set and the template's own message.
/// </summary>
public sealed class TemplateException : Exception
{
    /// <summary>Creates an error at <paramref name="line"/> (1-based; 0 when unknown).</summary>
    public TemplateException(string message, int line = 0, bool isRaisedByTemplate = false)
        : base(line > 0 ? $"{message} (template line {line})" : message)
    {
        Line = line;
        Reason = message;
        IsRaisedByTemplate = isRaisedByTemplate;
    }

    /// <summary>1-based template line of the error; 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>The message without the line suffix.</summary>
    public string Reason { get; }

    /// <summary>True when the template itself raised the error with <c>raise_exception</c>.</summary>
    public bool IsRaisedByTemplate { get; }

    internal TemplateException WithLine(int line) =>
        Line > 0 || line <= 0 ? this : new TemplateException(Reason, line, IsRaisedByTemplate);
}
