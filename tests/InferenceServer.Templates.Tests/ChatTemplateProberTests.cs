using InferenceServer.Templates.Probing;

namespace InferenceServer.Templates.Tests;

/// <summary>
/// The capability probes on real templates from ../shared/templates (expected values read from each template's source)
/// and on small templates written here, one per probe.
/// </summary>
public sealed class ChatTemplateProberTests
{
    // Columns: system role, strict alternation, tools, tool-call arguments, content parts, null content, thinking.
    [SkippableTheory]
    // Llama 3.1: tools go into the first user turn; arguments through `| tojson`; content through `| trim` (a list or None prints as text).
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja", true, false, true, "object", false, false, false)]
    // Gemma 2: raises on a leading system message and on any break of user/model alternation (a tool turn too).
    [InlineData("google-gemma-2-2b-it.jinja", false, true, false, null, false, false, false)]
    // Mistral Nemo: system text goes into the last user turn; alternation enforced; `function | tojson`; `"[INST]" + content`.
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407.jinja", true, true, true, "object", false, false, false)]
    // Qwen3: reads enable_thinking; `message.content.startswith` and `'</think>' in message.content` need a string.
    [InlineData("Qwen-Qwen3-0.6B.jinja", true, false, true, "object", false, false, true)]
    // Qwen3.5: render_content takes strings, text-part lists and none; arguments through `| items`.
    [InlineData("Qwen3.5-4B.jinja", true, false, true, "object", true, true, true)]
    // Functionary v3.2: `name + '\n' + arguments` concatenates, so only a JSON string renders; `if message['content']` skips null.
    [InlineData("meetkai-functionary-medium-v3.2.jinja", true, false, true, "string", false, true, false)]
    public void Probes_real_templates(string file, bool system, bool strict, bool tools, string? arguments, bool parts, bool nullContent, bool thinking)
    {
        string? folder = SharedTemplates.FindFolder();
        Skip.If(folder is null, "../shared/templates is not present");
        var template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(folder, file)));

        var found = ChatTemplateProber.Probe(template, "<s>", "</s>");

        Assert.Equal(new ChatTemplateCapabilities(system, strict, tools, arguments, parts, nullContent, thinking), found);
    }

    private const string ChatMl =
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}" +
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    [Fact]
    public void A_plain_chatml_template_takes_system_and_any_order_and_nothing_else()
    {
        var found = ChatTemplateProber.Probe(ChatTemplate.Parse(ChatMl));

        // Lists and None print as Python text, which the probes reject; tools and enable_thinking are never read.
        Assert.Equal(new ChatTemplateCapabilities(true, false, false, null, false, false, false), found);
    }

    [Theory]
    [InlineData("{% if messages[0].role == 'system' %}{{ raise_exception('no system') }}{% endif %}", false)]
    [InlineData("{% set messages = messages | rejectattr('role', 'equalto', 'system') | list %}", false)]
    [InlineData("", true)]
    public void System_role_is_unsupported_when_raised_or_dropped(string prefix, bool expected)
    {
        var found = ChatTemplateProber.Probe(ChatTemplate.Parse(prefix + ChatMl));
        Assert.Equal(expected, found.SystemRole);
    }

    [Fact]
    public void Strict_alternation_is_found_from_a_raise()
    {
        const string Check = "{% for m in messages %}{% if not loop.first and m.role == loop.previtem.role %}" +
            "{{ raise_exception('roles must alternate') }}{% endif %}{% endfor %}";
        Assert.True(ChatTemplateProber.Probe(ChatTemplate.Parse(Check + ChatMl)).StrictAlternation);
    }

    [Theory]
    [InlineData("{{ tc.function.arguments | tojson }}", "object")]
    [InlineData("{% for k, v in tc.function.arguments | items %}{{ k }}={{ v }}{% endfor %}", "object")]
    [InlineData("{% if tc.function.arguments is string %}{{ tc.function.arguments }}{% endif %}", "string")]
    [InlineData("{{ tc.function.arguments }}", "string")] // an object would print as Python's repr, not as arguments
    [InlineData("{{ tc.function.name }}", null)]
    public void Tool_call_arguments_form_is_the_one_whose_text_renders(string body, string? expected)
    {
        string source = "{% for m in messages %}{{ m.role }}:{{ m.content }}{% if m.tool_calls %}{% for tc in m.tool_calls %}" +
            body + "{% endfor %}{% endif %}\n{% endfor %}";
        Assert.Equal(expected, ChatTemplateProber.Probe(ChatTemplate.Parse(source)).ToolCallArguments);
    }

    [Fact]
    public void Tools_content_parts_null_content_and_thinking_are_found_when_read()
    {
        const string Source =
            "{% if tools %}{% for t in tools %}{{ t.function.name }}{% endfor %}{% endif %}" +
            "{% for m in messages %}{{ m.role }}:" +
            "{% if m.content is string %}{{ m.content }}{% elif m.content is none %}{% else %}{% for p in m.content %}{{ p.text }}{% endfor %}{% endif %}\n" +
            "{% endfor %}{% if enable_thinking is defined and not enable_thinking %}<think></think>{% endif %}";

        var found = ChatTemplateProber.Probe(ChatTemplate.Parse(Source));

        Assert.Equal(new ChatTemplateCapabilities(true, false, true, null, true, true, true), found);
    }
}
