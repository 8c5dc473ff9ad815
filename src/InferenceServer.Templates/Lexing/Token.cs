namespace InferenceServer.Templates.Lexing;

internal enum TokenKind { Text, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, Eof }

/// <summary>One lexical token; <see cref="Value"/> is the text, or the parsed literal for strings and numbers.</summary>
internal sealed record Token(TokenKind Kind, string Text, int Line, object? Value = null)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;

    public bool IsOp(string op) => Kind == TokenKind.Operator && Text == op;
}
