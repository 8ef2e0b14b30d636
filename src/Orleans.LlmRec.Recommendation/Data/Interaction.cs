namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>One user–item event with dense internal ids (see <see cref="IdMap"/> for the external ids).</summary>
/// <param name="User">Dense user index, 0..UserCount-1.</param>
/// <param name="Item">Dense item index, 0..ItemCount-1.</param>
/// <param name="Rating">Explicit rating, or 1 for an implicit event such as a click.</param>
/// <param name="Timestamp">Unix seconds.</param>
public readonly record struct Interaction(int User, int Item, float Rating, long Timestamp);
