using System.Text.Json.Nodes;
using InferenceServer.Api.Generation;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests;

/// <summary><c>GET /v1/capabilities</c> reports the running server, its model's facts and the request field table.</summary>
[Collection(ServerCollection.Name)]
public sealed class CapabilityTests(DemoServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Capabilities_report_the_running_server_and_the_field_table()
    {
        var caps = JsonNode.Parse(await Server.Http.GetStringAsync("v1/capabilities"))!;

        Assert.Equal(fixture.ModelId, (string?)caps["model"]);
        Assert.Equal("f16", (string?)caps["kv_cache_type"]);
        Assert.Equal(16, (int)caps["block_size"]!);
        Assert.Equal("unified", (string?)caps["kv_layout"]);
        Assert.True((bool)caps["prefix_caching"]!);
        Assert.Equal(Server.Engine.Model!.MaxModelLength, (int)caps["max_model_len"]!);
        Assert.Equal(4096, (int)caps["max_model_len"]!); // the demo model's training context; the pool is sized to it
        Assert.True((bool)caps["has_chat_template"]!); // the demo model carries a ChatML template
        // Its ChatML template prints system turns and any role order, reads neither tools nor enable_thinking, renders no
        // tool calls, and concatenates content with '+', which raises on a list of parts and on null.
        var template = caps["chat_template"]!;
        Assert.Equal("jinja", (string?)template["kind"]);
        Assert.True((bool)template["system_role"]!);
        Assert.False((bool)template["strict_alternation"]!);
        Assert.False((bool)template["tools"]!);
        Assert.Null(template["tool_call_arguments"]);
        Assert.False((bool)template["content_parts"]!);
        Assert.False((bool)template["null_content"]!);
        Assert.False((bool)template["thinking"]!);
        Assert.Equal("generic", (string?)template["tool_call_format"]);
        Assert.False((bool)template["think_tags"]!);
        Assert.Equal(10, template.AsObject().Count);
        Assert.True((bool)caps["tools"]!);
        Assert.True((bool)caps["structured_outputs"]!);
        Assert.True((bool)caps["logprobs"]!);

        var endpoints = caps["endpoints"]!.AsArray().Select(e => (string)e!).ToList();
        Assert.Contains("POST /v1/chat/completions", endpoints);
        Assert.Contains("POST /v1/completions", endpoints);
        Assert.Contains("GET /v1/capabilities", endpoints);
        Assert.Contains("GET /v1/models/{id}", endpoints);

        var chat = caps["request_fields"]!["chat_completions"]!;
        AssertLists(chat, RequestFields.Chat);
        AssertLists(caps["request_fields"]!["completions"]!, RequestFields.Completion);
        Assert.Contains("messages", Names(chat["implemented"]));
        Assert.Contains("store", Names(chat["ignored"]));
        Assert.Contains("top_logprobs", Names(chat["implemented"]));
        Assert.Contains("response_format", Names(chat["implemented"]));
        Assert.Contains("grammar", Names(caps["request_fields"]!["completions"]!["implemented"]));
    }

    private static List<string> Names(JsonNode? list) => list!.AsArray().Select(n => (string)n!).ToList();

    private static void AssertLists(JsonNode lists, IReadOnlyList<RequestField> table)
    {
        Assert.Equal(RequestFields.Names(table, FieldSupport.Implemented), Names(lists["implemented"]));
        Assert.Equal(RequestFields.Names(table, FieldSupport.Ignored), Names(lists["ignored"]));
        Assert.Equal(RequestFields.Names(table, FieldSupport.Unsupported), Names(lists["unsupported"]));
    }

    [Fact]
    public async Task Capabilities_follow_the_configuration_and_fill_in_model_facts_once_loaded()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = TestModels.Small, ["Engine:KvCacheType"] = "q8_0", ["Engine:BlockSize"] = "8", ["Engine:NumBlocks"] = "40",
        }, gate);

        var before = JsonNode.Parse(await server.Http.GetStringAsync("v1/capabilities"))!;
        Assert.Equal("q8_0", (string?)before["kv_cache_type"]);
        Assert.Equal(8, (int)before["block_size"]!);
        Assert.Null(before["max_model_len"]);
        Assert.Null(before["has_chat_template"]);
        Assert.Null(before["chat_template"]);

        gate.SetResult();
        await server.WaitReadyAsync();
        var after = JsonNode.Parse(await server.Http.GetStringAsync("v1/capabilities"))!;
        Assert.Equal("q8_0", (string?)after["kv_cache_type"]);
        Assert.Equal(320, (int)after["max_model_len"]!); // 40 blocks × 8 tokens, below the model's 4096-token training context
        Assert.Equal(server.Engine.Model!.MaxModelLength, (int)after["max_model_len"]!);
        Assert.True((bool)after["has_chat_template"]!);
        Assert.Equal("jinja", (string?)after["chat_template"]!["kind"]);
    }

    [SkippableFact]
    public async Task A_model_without_a_chat_template_says_so()
    {
        string? path = SharedFiles.Find("models/stories260K.gguf");
        Skip.If(path is null, "../shared/models/stories260K.gguf is not present");
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = path });

        var caps = JsonNode.Parse(await server.Http.GetStringAsync("v1/capabilities"))!;
        Assert.Equal("stories260K", (string?)caps["model"]);
        Assert.False((bool)caps["has_chat_template"]!);
        Assert.Equal("plain", (string?)caps["chat_template"]!["kind"]);
        Assert.True((bool)caps["chat_template"]!["system_role"]!); // the plain format prints system text first
        Assert.Equal(server.Engine.Model!.MaxModelLength, (int)caps["max_model_len"]!);
    }
}
