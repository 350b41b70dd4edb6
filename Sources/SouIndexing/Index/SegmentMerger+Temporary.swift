import SouAnalysis
// TEMPORARY until SegmentMerger lands from the `merge` branch.
struct SegmentMerger {
    let configuration: SouAnalysis.AnalyzerConfiguration
    let storesText: Bool
    func merge(_ sources: [(SouIndex, DeletionSet)], into sink: OutputSink) throws {
        throw IndexError.io("segment merging is not available yet")
    }
}
