namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>
/// Contract tests: the HTTP surface (errors, schemas, SSE framing, limits, CORS, metrics, drain logic) on the fake
/// model, without llama.cpp, so they take seconds and may run beside other collections. They share one fake-model server.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ContractCollection : ICollectionFixture<ContractServerFixture>
{
    public const string Name = "contract";
}
