// Placeholder so the module builds; the search work replaces this file.
import SouIndexing
