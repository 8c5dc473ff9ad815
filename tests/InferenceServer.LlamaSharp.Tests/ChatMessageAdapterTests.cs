using InferenceServer.Templates;
using InferenceServer.Templates.Probing;

namespace InferenceServer.LlamaSharp.Tests;

/// <summary>
/// <see cref="ChatMessageAdapter"/> on templates written here: probe, adapt, render, and the prompt holds every
/// message's text where the unadapted conversation raises or loses it.
/// </summary>
public sealed class ChatMessageAdapterTests
{
    // Gemma-2 style: no system role, strict user/model alternation.
    private const string NoSystemStrict =
        "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
        "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Roles must alternate') }}{% endif %}" +
        "<turn>{{ m.role }}\n{{ m.content }}</turn>\n{% endfor %}{% if add_generation_prompt %}<turn>model\n{% endif %}";

    // Drops system messages silently, takes any order.
    private const string DropsSystem =
        "{% for m in messages if m.role != 'system' %}[{{ m.role }}]{{ m.content }}{% endfor %}";

    private const string ChatMl = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}";

    private static string Render(string source, IReadOnlyList<ChatMessage> messages)
    {
        var template = ChatTemplate.Parse(source);
        var adapted = ChatMessageAdapter.Adapt(messages, ChatTemplateProber.Probe(template));
        return template.Render(new Dictionary<string, object?>
        {
            ["messages"] = adapted.Select(m => new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = true,
        });
    }

    [Fact]
    public void System_text_is_folded_into_the_first_user_turn_where_the_template_raises_on_it()
    {
        string prompt = Render(NoSystemStrict,
            [new("system", "Be brief."), new("developer", "Use French."), new("user", "Hi"), new("assistant", "Salut"), new("user", "Why?")]);

        Assert.Equal("<turn>user\nBe brief.\n\nUse French.\n\nHi</turn>\n<turn>assistant\nSalut</turn>\n<turn>user\nWhy?</turn>\n<turn>model\n", prompt);
    }

    [Fact]
    public void System_text_is_folded_where_the_template_drops_it_and_becomes_a_user_turn_without_one()
    {
        Assert.Equal("[user]Be brief.\n\nHi", Render(DropsSystem, [new("system", "Be brief."), new("user", "Hi")]));
        Assert.Equal("[user]Be brief.[assistant]Ok", Render(DropsSystem, [new("system", "Be brief."), new("assistant", "Ok")]));
    }

    [Fact]
    public void Consecutive_same_role_messages_are_merged_on_a_strict_template()
    {
        string prompt = Render(NoSystemStrict, [new("user", "One"), new("user", "Two"), new("assistant", "A"), new("assistant", "B"), new("user", "Three")]);

        Assert.Equal("<turn>user\nOne\n\nTwo</turn>\n<turn>assistant\nA\n\nB</turn>\n<turn>user\nThree</turn>\n<turn>model\n", prompt);
    }

    [Fact]
    public void Tool_results_stay_one_per_call_on_a_strict_template()
    {
        var strict = new ChatTemplateCapabilities(true, true, false, null, false, false, false);
        IReadOnlyList<ChatMessage> messages = [new("user", "Q"), new("assistant", "calling"), new("tool", "r1"), new("tool", "r2"), new("user", "U1"), new("user", "U2")];

        var adapted = ChatMessageAdapter.Adapt(messages, strict);

        Assert.Equal([new("user", "Q"), new("assistant", "calling"), new("tool", "r1"), new("tool", "r2"), new ChatMessage("user", "U1\n\nU2")], adapted);
    }

    [Fact]
    public void A_template_that_takes_everything_gets_the_conversation_unchanged()
    {
        IReadOnlyList<ChatMessage> messages = [new("system", "S"), new("user", "U1"), new("user", "U2")];
        var capabilities = ChatTemplateProber.Probe(ChatTemplate.Parse(ChatMl));

        Assert.Same(messages, ChatMessageAdapter.Adapt(messages, capabilities));
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n", Render(ChatMl, messages));
    }

    [Fact]
    public void Assistant_turns_with_tool_calls_are_not_merged_on_a_strict_template()
    {
        var strict = new ChatTemplateCapabilities(true, true, true, "object", false, false, false);
        var call = new ChatToolCall("call_1", "f", "{}");
        IReadOnlyList<ChatMessage> messages = [new("user", "Q"), new("assistant", "Thinking."), new("assistant", "") { ToolCalls = [call] }];

        var adapted = ChatMessageAdapter.Adapt(messages, strict);

        Assert.Equal(3, adapted.Count);
        Assert.Same(call, Assert.Single(adapted[2].ToolCalls!));
    }
}
