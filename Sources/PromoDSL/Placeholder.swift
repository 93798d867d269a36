public enum PromoDSLPlaceholder {}
