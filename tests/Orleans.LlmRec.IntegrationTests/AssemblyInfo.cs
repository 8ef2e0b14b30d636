// Each collection starts its own silo; running them one after another keeps the 2-core CI machine from timing out.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
