public enum PromoTesting {}
