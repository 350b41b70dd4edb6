// The public library: `import Sou` gives analysis, indexing and search.
@_exported import SouAnalysis
@_exported import SouIndexing
@_exported import SouSearch
