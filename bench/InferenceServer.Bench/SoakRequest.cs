namespace InferenceServer.Bench;

/// <summary>When a soak client hangs up on purpose.</summary>
internal enum SoakDisconnect
{
    None,
    /// <summary>A few milliseconds after sending, before the first token arrives (if it has not yet).</summary>
    BeforeFirstToken,
    /// <summary>After a few content chunks of a stream.</summary>
    MidStream,
}

/// <summary>
/// One soak request as sent: endpoint (<c>completions</c> with a token-id prompt, or <c>chat/completions</c>), JSON
/// body, and the labels the report counts requests by (<c>Kinds</c>). A request with a <c>PoolIndex</c> is
/// deterministic (temperature 0, or seeded) and is compared with its solo output. <c>DisconnectAfter</c> is in
/// milliseconds for <see cref="SoakDisconnect.BeforeFirstToken"/> and in content chunks for <see cref="SoakDisconnect.MidStream"/>.
/// </summary>
internal sealed record SoakRequest(string Endpoint, string Body, bool Stream, int N, IReadOnlyList<string> Kinds, int? PoolIndex,
    SoakDisconnect Disconnect = SoakDisconnect.None, int DisconnectAfter = 0)
{
    public bool IsChat => Endpoint == "chat/completions";

    /// <summary>The request with a disconnect plan, labelled as such.</summary>
    public SoakRequest WithDisconnect(SoakDisconnect disconnect, int after) => disconnect == SoakDisconnect.None ? this : this with
    {
        Disconnect = disconnect,
        DisconnectAfter = after,
        Kinds = [.. Kinds, disconnect == SoakDisconnect.MidStream ? SoakKinds.CancelMidStream : SoakKinds.CancelBeforeFirstToken],
    };
}
