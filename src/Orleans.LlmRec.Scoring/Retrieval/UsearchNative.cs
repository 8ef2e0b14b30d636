using System.Runtime.InteropServices;
using Cloud.Unum.USearch;
using Microsoft.Win32.SafeHandles;

namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>
/// The entry points of USearch's C library (<c>libusearch_c</c>, shipped with its natives by Cloud.Unum.USearch)
/// that <see cref="ItemVectorIndex"/> calls. The package's managed <c>USearchIndex</c> is not enough for a server: its
/// <c>Add</c> reserves one slot at a time (a reallocation of the whole index per add past capacity), it cannot reserve
/// capacity or thread contexts up front (USearch serves at most as many concurrent calls as it has contexts), and it
/// allocates its result arrays on every search. The option struct and enums are the package's own, so their layout is
/// the library's.
/// </summary>
internal static unsafe class UsearchNative
{
    private const string Library = "libusearch_c";

    [DllImport(Library, EntryPoint = "usearch_init")]
    private static extern IntPtr Init(ref IndexOptions options, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_free")]
    internal static extern void Free(IntPtr index, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_reserve")]
    private static extern void Reserve(UsearchHandle index, nuint capacity, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_change_threads_add")]
    private static extern void ChangeThreadsAdd(UsearchHandle index, nuint threads, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_change_threads_search")]
    private static extern void ChangeThreadsSearch(UsearchHandle index, nuint threads, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_change_expansion_search")]
    private static extern void ChangeExpansionSearch(UsearchHandle index, nuint expansion, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_add")]
    private static extern void Add(UsearchHandle index, ulong key, float* vector, ScalarKind kind, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_remove")]
    private static extern nuint Remove(UsearchHandle index, ulong key, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_search")]
    private static extern nuint Search(UsearchHandle index, float* query, ScalarKind kind, nuint count, ulong* keys, float* distances, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_save")]
    private static extern void Save(UsearchHandle index, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_load")]
    private static extern void Load(UsearchHandle index, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_size")]
    private static extern nuint Size(UsearchHandle index, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_capacity")]
    private static extern nuint Capacity(UsearchHandle index, out IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_memory_usage")]
    private static extern nuint MemoryUsage(UsearchHandle index, out IntPtr error);

    public static UsearchHandle Create(MetricKind metric, ScalarKind storage, ulong dimensions, ulong connectivity, ulong expansionAdd, ulong expansionSearch)
    {
        var options = new IndexOptions(metric, IntPtr.Zero, storage, dimensions, connectivity, expansionAdd, expansionSearch, false);
        var pointer = Init(ref options, out var error);
        ThrowOnError(error, "init");
        return new UsearchHandle(pointer);
    }

    /// <summary>Room for <paramref name="capacity"/> vectors and <paramref name="threads"/> concurrent calls. Not safe beside any other call.</summary>
    public static void Reserve(UsearchHandle index, int capacity, int threads)
    {
        Reserve(index, (nuint)capacity, out var error);
        ThrowOnError(error, "reserve");
        // After the reserve, which sizes the thread contexts by the hardware's concurrency.
        ChangeThreadsAdd(index, (nuint)threads, out error);
        ThrowOnError(error, "change_threads_add");
        ChangeThreadsSearch(index, (nuint)threads, out error);
        ThrowOnError(error, "change_threads_search");
    }

    public static void SetExpansionSearch(UsearchHandle index, int expansion)
    {
        ChangeExpansionSearch(index, (nuint)expansion, out var error);
        ThrowOnError(error, "change_expansion_search");
    }

    public static void Add(UsearchHandle index, ulong key, ReadOnlySpan<float> vector)
    {
        IntPtr error;
        fixed (float* pointer = vector) Add(index, key, pointer, ScalarKind.Float32, out error);
        ThrowOnError(error, "add");
    }

    public static bool Remove(UsearchHandle index, ulong key)
    {
        var removed = Remove(index, key, out var error);
        ThrowOnError(error, "remove");
        return removed > 0;
    }

    public static int Search(UsearchHandle index, ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances)
    {
        nuint found;
        IntPtr error;
        fixed (float* q = query)
        fixed (ulong* k = keys)
        fixed (float* d = distances)
        {
            found = Search(index, q, ScalarKind.Float32, (nuint)keys.Length, k, d, out error);
        }
        ThrowOnError(error, "search");
        return (int)found;
    }

    /// <summary>Writes the index (graph and vectors) to <paramref name="path"/>.</summary>
    public static void Save(UsearchHandle index, string path)
    {
        Save(index, path, out var error);
        ThrowOnError(error, "save");
    }

    /// <summary>Replaces the index's contents with what <see cref="Save(UsearchHandle, string)"/> wrote (same metric, storage and dimension).</summary>
    public static void Load(UsearchHandle index, string path)
    {
        Load(index, path, out var error);
        ThrowOnError(error, "load");
    }

    public static long Size(UsearchHandle index) => (long)Size(index, out _);

    public static long Capacity(UsearchHandle index) => (long)Capacity(index, out _);

    public static long MemoryUsage(UsearchHandle index) => (long)MemoryUsage(index, out _);

    private static void ThrowOnError(IntPtr error, string call)
    {
        // Error strings are static in the library: never freed by the caller.
        if (error != IntPtr.Zero) throw new InvalidOperationException($"USearch {call} failed: {Marshal.PtrToStringAnsi(error)}");
    }
}

/// <summary>
/// Owns one native USearch index. As a safe handle it is reference-counted by every call that passes it, so disposing
/// it while a search is running frees the index only when that search returns.
/// </summary>
internal sealed class UsearchHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public UsearchHandle() : base(ownsHandle: true)
    {
    }

    public UsearchHandle(IntPtr pointer) : base(ownsHandle: true) => SetHandle(pointer);

    protected override bool ReleaseHandle()
    {
        UsearchNative.Free(handle, out _);
        return true;
    }
}
