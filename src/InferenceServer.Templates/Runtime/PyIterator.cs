namespace InferenceServer.Templates.Runtime;

/// <summary>
/// A Python iterator or dict view, as jinja2's map/select/reject/items/unique filters (generators), reverse
/// (a reverse iterator) and dict.items()/keys()/values() (views) return. Generators are always truthy, have no
/// len(), are not JSON serializable and are consumed by the first iteration; views keep len() and truthiness by size.
/// </summary>
internal sealed class PyIterator(List<object?> items, string typeName, bool isView = false)
{
    private bool _consumed;

    public string TypeName => typeName;

    public bool IsView => isView;

    public int Count => items.Count;

    public static PyIterator Generator(IEnumerable<object?> items) => new([.. items], "generator");

    public List<object?> Consume()
    {
        if (isView) return items;
        if (_consumed) return [];
        _consumed = true;
        return items;
    }
}
