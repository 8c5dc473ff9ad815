using System.Text.Json.Nodes;
using InferenceServer.Api.Tests.Infrastructure;

namespace InferenceServer.Api.Tests.Tools;

/// <summary>
/// Bad tools, tool choices and tool messages are refused with 400s naming the field; on the fake model (see
/// <see cref="ContractCollection"/>).
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class ToolRefusalTests(ContractServerFixture fixture)
{
    private const string Tool = """{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}""";
    private const string User = """[{"role":"user","content":"hi"}]""";

    private TestServer Server => fixture.Server;

    [Theory]
    [InlineData($$$"""{"tools":[{{{Tool}}},{{{Tool}}}]}""", "tools", "invalid_value")]
    [InlineData("""{"tools":{"type":"function"}}""", "tools", "invalid_type")]
    [InlineData("""{"tools":[{"type":"custom","custom":{"name":"x"}}]}""", "tools[0].type", "invalid_value")]
    [InlineData("""{"tools":[{"type":"function"}]}""", "tools[0].function", "missing_required_parameter")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"get weather"}}]}""", "tools[0].function.name", "invalid_value")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","parameters":"object"}}]}""", "tools[0].function.parameters", "invalid_type")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","strict":"yes"}}]}""", "tools[0].function.strict", "invalid_type")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"string"}}}]}""", "tools[0].function.parameters.type", "invalid_value")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","parameters":{"type":["object","null"]}}}]}""", "tools[0].function.parameters.type", "invalid_value")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"u":{"type":"string"}}}}}],"response_format":{"type":"json_object"}}""", "response_format", "invalid_value")]
    [InlineData("""{"tool_choice":"auto"}""", "tool_choice", "invalid_value")]
    [InlineData("""{"chat_template_kwargs":{"tools":[]}}""", "chat_template_kwargs", "invalid_value")]
    [InlineData($$$"""{"tools":[{{{Tool}}}],"tool_choice":"sometimes"}""", "tool_choice", "invalid_value")]
    [InlineData($$$$"""{"tools":[{{{{Tool}}}}],"tool_choice":{"type":"function","function":{"name":"other"}}}""", "tool_choice", "invalid_value")]
    [InlineData($$$"""{"tools":[{{{Tool}}}],"tool_choice":{"type":"function"}}""", "tool_choice.function", "missing_required_parameter")]
    [InlineData($$$"""{"tools":[{{{Tool}}}],"parallel_tool_calls":"no"}""", "parallel_tool_calls", "invalid_type")]
    public async Task Bad_tool_fields_are_refused_by_name(string fields, string param, string code)
    {
        var error = await Server.ChatErrorAsync(Body(User, fields));

        Assert.Equal(param, (string?)error["param"]);
        Assert.Equal(code, (string?)error["code"]);
    }

    [Theory]
    [InlineData("""[{"role":"user","content":"hi"},{"role":"tool","content":"sunny"}]""", "messages[1].tool_call_id")]
    [InlineData("""[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f"}}]}]""",
        "messages[1].tool_calls[0].function.arguments")]
    [InlineData("""[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]""",
        "messages[1].tool_calls[0].id")]
    [InlineData("""[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":{"id":"c1"}}]""", "messages[1].tool_calls")]
    public async Task Bad_tool_messages_are_refused_by_path(string messages, string param)
    {
        var error = await Server.ChatErrorAsync(Body(messages, "{}"));

        Assert.Equal(param, (string?)error["param"]);
    }

    private string Body(string messages, string fields)
    {
        var body = JsonNode.Parse(fields)!.AsObject();
        body["model"] = Server.ModelId;
        body["messages"] = JsonNode.Parse(messages);
        body["max_tokens"] = 1;
        return body.ToJsonString();
    }

}
