namespace InferenceServer.Api.Contracts;

/// <summary>OpenAI <c>model</c> object (schema Model).</summary>
public sealed record ModelObject(string Id, long Created, string OwnedBy)
{
    /// <summary>Always <c>model</c>.</summary>
    public string Object => "model";
}

/// <summary>OpenAI model list (schema ListModelsResponse).</summary>
public sealed record ModelList(IReadOnlyList<ModelObject> Data)
{
    /// <summary>Always <c>list</c>.</summary>
    public string Object => "list";
}
