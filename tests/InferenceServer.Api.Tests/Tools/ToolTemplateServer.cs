using InferenceServer.Api.Tests.Infrastructure;
using InferenceServer.ModelGeneration;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// A server on a tiny generated model whose GGUF carries <see cref="Template"/>: a template of our own in the Hermes
/// style (tools listed in a system turn, calls as <c>&lt;tool_call&gt;{…}&lt;/tool_call&gt;</c>, tool results with their
/// call id, reasoning history) whose generation prompt opens <c>&lt;think&gt;</c> unless <c>enable_thinking</c> is false.
/// </summary>
public sealed class ToolTemplateServer : IAsyncLifetime
{
    public const string Template =
        "{%- if tools %}<|im_start|>system\nTools:\n{%- for t in tools %}\n{{ t | tojson }}\n{%- endfor %}\n" +
        "Call one as <tool_call>{\"name\": …, \"arguments\": …}</tool_call>.<|im_end|>\n{% endif %}" +
        "{%- for m in messages %}" +
        "{%- if m.role == 'assistant' %}<|im_start|>assistant\n" +
        "{% if m.reasoning_content %}<think>{{ m.reasoning_content }}</think>\n{% endif %}{{ m.content }}" +
        "{%- for c in m.tool_calls or [] %}<tool_call>{\"name\": \"{{ c.function.name }}\", \"arguments\": {{ c.function.arguments | tojson }}}</tool_call>{% endfor %}<|im_end|>\n" +
        "{% elif m.role == 'tool' %}<|im_start|>tool\n[{{ m.tool_call_id }}] {{ m.content }}<|im_end|>\n" +
        "{% else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endif %}" +
        "{%- endfor %}" +
        "{%- if add_generation_prompt %}<|im_start|>assistant\n" +
        "{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>\n\n{% else %}<think>\n{% endif %}{% endif %}";

    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var spec = SyntheticModelSpec.Tiny with { Name = "synthetic-tools", ChatTemplate = Template };
        string path = Path.Combine(TestServer.DataDirectory, spec.GetCacheFileName(seed: 11));
        if (!File.Exists(path))
            SyntheticModelWriter.Write(spec, 11, path);
        Server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = path });
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
