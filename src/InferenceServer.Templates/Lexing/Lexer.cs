using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace InferenceServer.Templates.Lexing;

/// <summary>
/// Splits a template into text and tag tokens with jinja2's whitespace rules as Hugging Face configures them:
/// <c>trim_blocks</c> (the first newline after a block or comment tag is dropped), <c>lstrip_blocks</c> (spaces
/// and tabs before a block or comment tag at the start of a line are dropped), <c>-</c> and <c>+</c> markers,
/// CRLF normalised to LF and one trailing newline removed (jinja2's <c>keep_trailing_newline=False</c>).
/// </summary>
internal sealed partial class Lexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}", ";"];

    private readonly string _src;
    private readonly bool _trimBlocks;
    private readonly bool _lstripBlocks;
    private readonly List<Token> _tokens = [];
    private int _pos;
    private int _line = 1;
    private bool _lineStarting = true;

    public Lexer(string source, bool trimBlocks = true, bool lstripBlocks = true)
    {
        var src = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (src.EndsWith('\n')) src = src[..^1];
        _src = src;
        _trimBlocks = trimBlocks;
        _lstripBlocks = lstripBlocks;
    }

    public List<Token> Tokenize()
    {
        while (_pos < _src.Length)
        {
            int start = FindTagStart(_pos);
            if (start < 0)
            {
                EmitText(_src[_pos..]);
                _pos = _src.Length;
                break;
            }
            char kind = _src[start + 1];
            char modifier = start + 2 < _src.Length ? _src[start + 2] : '\0';
            var text = ApplyLeadingWhitespaceControl(_src[_pos..start], kind, modifier);
            EmitText(text);
            _line += CountNewlines(_src, _pos + text.Length, start);
            _pos = start + 2 + (modifier is '-' or '+' ? 1 : 0);
            if (kind == '#') SkipComment();
            else if (kind == '%' && TryRaw(start)) { }
            else TokenizeTag(kind == '{');
        }
        _tokens.Add(new Token(TokenKind.Eof, "", _line));
        return _tokens;
    }

    private int FindTagStart(int from)
    {
        for (int i = _src.IndexOf('{', from); i >= 0 && i + 1 < _src.Length; i = _src.IndexOf('{', i + 1))
            if (_src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    private string ApplyLeadingWhitespaceControl(string text, char kind, char modifier)
    {
        if (modifier == '-') return text.TrimEnd();
        if (modifier == '+' || !_lstripBlocks || kind == '{') return text;
        int lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !_lineStarting) return text;
        if (lineStart == text.Length) return text;
        for (int i = lineStart; i < text.Length; i++)
            if (!char.IsWhiteSpace(text[i])) return text;
        return text[..lineStart];
    }

    private void EmitText(string text)
    {
        if (text.Length > 0) _tokens.Add(new Token(TokenKind.Text, text, _line));
        _line += CountNewlines(text, 0, text.Length);
    }

    private static int CountNewlines(string s, int from, int to)
    {
        int n = 0;
        for (int i = from; i < to; i++) if (s[i] == '\n') n++;
        return n;
    }

    /// <summary>Consumes the text after a tag's end marker per its modifier and <c>trim_blocks</c>.</summary>
    private void ConsumeTrailing(char modifier, bool isBlock)
    {
        int before = _pos;
        if (modifier == '-')
            while (_pos < _src.Length && char.IsWhiteSpace(_src[_pos])) _pos++;
        else if (modifier != '+' && isBlock && _trimBlocks && _pos < _src.Length && _src[_pos] == '\n')
            _pos++;
        _line += CountNewlines(_src, before, _pos);
        _lineStarting = _pos > 0 && _src[_pos - 1] == '\n';
    }

    private void SkipComment()
    {
        int end = _src.IndexOf("#}", _pos, StringComparison.Ordinal);
        if (end < 0) throw new TemplateException("Missing end of comment tag", _line);
        char modifier = end > _pos && _src[end - 1] is '-' or '+' ? _src[end - 1] : '\0';
        _line += CountNewlines(_src, _pos, end);
        _pos = end + 2;
        ConsumeTrailing(modifier, true);
    }

    [GeneratedRegex(@"\G\s*raw\s*([-+]?)%\}")]
    private static partial Regex RawBegin();

    [GeneratedRegex(@"\{%([-+]?)\s*endraw\s*([-+]?)%\}")]
    private static partial Regex RawEnd();

    private bool TryRaw(int tagStart)
    {
        var begin = RawBegin().Match(_src, _pos);
        if (!begin.Success) return false;
        _pos = begin.Index + begin.Length;
        ConsumeTrailing(begin.Groups[1].Value.FirstOrDefault(), true);
        var end = RawEnd().Match(_src, _pos);
        if (!end.Success) throw new TemplateException("Missing end of raw directive", _line);
        var body = _src[_pos..end.Index];
        if (end.Groups[1].Value == "-") body = body.TrimEnd();
        EmitText(body);
        _pos = end.Index + end.Length;
        ConsumeTrailing(end.Groups[2].Value.FirstOrDefault(), true);
        return true;
    }

    private void TokenizeTag(bool isVariable)
    {
        _tokens.Add(new Token(isVariable ? TokenKind.VariableBegin : TokenKind.BlockBegin, "", _line));
        int depth = 0;
        while (true)
        {
            SkipSpaces();
            if (_pos >= _src.Length) throw new TemplateException("Unexpected end of template inside a tag", _line);
            if (depth == 0 && TryTagEnd(isVariable)) return;
            char c = _src[_pos];
            if (char.IsLetter(c) || c == '_') ReadName();
            else if (char.IsDigit(c)) ReadNumber();
            else if (c is '\'' or '"') ReadString(c);
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(_src, _pos, o, 0, o.Length) == 0)
                    ?? throw new TemplateException($"Unexpected char '{c}'", _line);
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}") depth--;
                _tokens.Add(new Token(TokenKind.Operator, op, _line));
                _pos += op.Length;
            }
        }
    }

    private bool TryTagEnd(bool isVariable)
    {
        string end = isVariable ? "}}" : "%}";
        char modifier = '\0';
        int at = _pos;
        if (_src[at] is '-' || (_src[at] is '+' && !isVariable)) { modifier = _src[at]; at++; }
        if (string.CompareOrdinal(_src, at, end, 0, 2) != 0) return false;
        _tokens.Add(new Token(isVariable ? TokenKind.VariableEnd : TokenKind.BlockEnd, "", _line));
        _pos = at + 2;
        ConsumeTrailing(modifier, !isVariable);
        return true;
    }

    private void SkipSpaces()
    {
        while (_pos < _src.Length && char.IsWhiteSpace(_src[_pos]))
        {
            if (_src[_pos] == '\n') _line++;
            _pos++;
        }
    }

    private void ReadName()
    {
        int start = _pos;
        while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        _tokens.Add(new Token(TokenKind.Name, _src[start.._pos], _line));
    }

    private void ReadNumber()
    {
        int start = _pos;
        while (_pos < _src.Length && (char.IsDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        bool isFloat = false;
        if (_pos + 1 < _src.Length && _src[_pos] == '.' && char.IsDigit(_src[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _src.Length && (char.IsDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        }
        if (_pos < _src.Length && _src[_pos] is 'e' or 'E')
        {
            int save = _pos++;
            if (_pos < _src.Length && _src[_pos] is '+' or '-') _pos++;
            if (_pos < _src.Length && char.IsDigit(_src[_pos]))
            {
                isFloat = true;
                while (_pos < _src.Length && char.IsDigit(_src[_pos])) _pos++;
            }
            else _pos = save;
        }
        var text = _src[start.._pos].Replace("_", "");
        _tokens.Add(isFloat
            ? new Token(TokenKind.Float, text, _line, double.Parse(text, CultureInfo.InvariantCulture))
            : new Token(TokenKind.Integer, text, _line, long.Parse(text, CultureInfo.InvariantCulture)));
    }

    private void ReadString(char quote)
    {
        int line = _line;
        var sb = new StringBuilder();
        _pos++;
        while (true)
        {
            if (_pos >= _src.Length) throw new TemplateException("Unterminated string literal", line);
            char c = _src[_pos++];
            if (c == quote) break;
            if (c == '\n') _line++;
            if (c != '\\' || _pos >= _src.Length) { sb.Append(c); continue; }
            ReadEscape(sb);
        }
        _tokens.Add(new Token(TokenKind.String, sb.ToString(), line, sb.ToString()));
    }

    private void ReadEscape(StringBuilder sb)
    {
        char e = _src[_pos++];
        switch (e)
        {
            case 'n': sb.Append('\n'); break;
            case 't': sb.Append('\t'); break;
            case 'r': sb.Append('\r'); break;
            case '0': sb.Append('\0'); break;
            case 'b': sb.Append('\b'); break;
            case 'f': sb.Append('\f'); break;
            case 'v': sb.Append('\v'); break;
            case 'a': sb.Append('\a'); break;
            case '\\': case '\'': case '"': sb.Append(e); break;
            case '\n': _line++; break;
            case 'x': sb.Append((char)Convert.ToInt32(_src.Substring(_pos, 2), 16)); _pos += 2; break;
            case 'u': sb.Append((char)Convert.ToInt32(_src.Substring(_pos, 4), 16)); _pos += 4; break;
            case 'U': sb.Append(char.ConvertFromUtf32(Convert.ToInt32(_src.Substring(_pos, 8), 16))); _pos += 8; break;
            default: sb.Append('\\').Append(e); break;
        }
    }
}
