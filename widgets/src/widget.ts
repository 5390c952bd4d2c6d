// convlens widget models and views (filled in by the widget issue).
export {};
