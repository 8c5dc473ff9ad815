namespace InferenceServer.Engine.Tools;

/// <summary>
/// How a model writes a tool call in its output, decided from its chat template (how the template renders an
/// assistant message's <c>tool_calls</c>), never from the model's name.
/// </summary>
public enum ToolCallFormat
{
    /// <summary>No tool-call format is known: tools are refused unless the generic format is used.</summary>
    None,

    /// <summary>Hermes/Qwen: <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c>, one block per call.</summary>
    Hermes,

    /// <summary>Llama 3.x: a bare JSON object <c>{"name": …, "parameters": {…}}</c>, optionally after <c>&lt;|python_tag|&gt;</c>.</summary>
    Llama3Json,

    /// <summary>Mistral (v3 and Nemo): <c>[TOOL_CALLS][{"name": …, "arguments": {…}}, …]</c>.</summary>
    MistralJson,

    /// <summary>Mistral (v7/v11, e.g. Small 3.2, Devstral): <c>[TOOL_CALLS]name[ARGS]{…}</c> per call.</summary>
    MistralArgs,

    /// <summary>
    /// DeepSeek R1 (and its Distill models): <c>&lt;｜tool▁calls▁begin｜&gt;</c>, then per call
    /// <c>&lt;｜tool▁call▁begin｜&gt;function&lt;｜tool▁sep｜&gt;name\n```json\n{…}\n```&lt;｜tool▁call▁end｜&gt;</c>
    /// (calls separated by <c>\n</c>), then <c>&lt;｜tool▁calls▁end｜&gt;</c>.
    /// </summary>
    DeepSeekR1,

    /// <summary>
    /// DeepSeek V3.1: <c>&lt;｜tool▁calls▁begin｜&gt;</c>, then per call
    /// <c>&lt;｜tool▁call▁begin｜&gt;name&lt;｜tool▁sep｜&gt;{…}&lt;｜tool▁call▁end｜&gt;</c>, then <c>&lt;｜tool▁calls▁end｜&gt;</c>.
    /// </summary>
    DeepSeekV31,

    /// <summary>
    /// OpenAI's harmony format (gpt-oss): the reply is a series of messages, each a header, <c>&lt;|message|&gt;</c>
    /// and a body; reasoning is <c>&lt;|channel|&gt;analysis&lt;|message|&gt;…&lt;|end|&gt;</c>, the answer
    /// <c>&lt;|channel|&gt;final&lt;|message|&gt;…</c>, a call <c>&lt;|channel|&gt;commentary to=functions.name
    /// &lt;|constrain|&gt;json&lt;|message|&gt;{…}&lt;|call|&gt;</c> (the recipient may stand before the channel instead),
    /// and later messages start with <c>&lt;|start|&gt;assistant</c>. <c>&lt;|call|&gt;</c> and <c>&lt;|return|&gt;</c> end
    /// generation, so a reply makes at most one call.
    /// </summary>
    Harmony,

    /// <summary>
    /// The server's own generic format for templates without tool support: the reply is one JSON object,
    /// <c>{"tool_calls": [{"name": …, "arguments": {…}}, …]}</c> or <c>{"content": "…"}</c>, described to the model
    /// in a system message.
    /// </summary>
    Generic,
}
