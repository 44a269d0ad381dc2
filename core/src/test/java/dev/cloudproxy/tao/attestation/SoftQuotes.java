package dev.cloudproxy.tao.attestation;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.keys.Signer;
import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * Makes TPM 2.0 quote structures in software, signed by an ordinary key standing in for an
 * attestation key, so the verifier can be tested without a TPM (the tpm module tests it against
 * swtpm). Also writes deliberately broken quotes.
 */
final class SoftQuotes {
    private SoftQuotes() {}

    /** The PCR principal the fake attestation key speaks for. */
    static Prin pcrName(Signer ak, Tpm2Pcrs pcrs) {
        return Tpm2Quote.akPrincipal(ak.verifier()).extend(pcrs.toExtension());
    }

    /** A tpm2 attestation of {@code statement} quoting {@code pcrs}, as a TPM would make it. */
    static Attestation attest(Signer ak, Says statement, Tpm2Pcrs pcrs) throws VerificationException {
        byte[] quote = quote(Tpm2Quote.nonceFor(statement.encode()), pcrs.indices(), pcrs.digest());
        return Attestation.fromTpm2Quote(statement, ak.verifier(), quote, ak.sign(quote));
    }

    static byte[] quote(byte[] nonce, List<Integer> pcrs, byte[] digest) {
        int selectBytes = 3;
        for (int p : pcrs) {
            selectBytes = Math.max(selectBytes, p / 8 + 1);
        }
        byte[] select = new byte[selectBytes];
        for (int p : pcrs) {
            select[p / 8] |= (byte) (1 << (p % 8));
        }
        Out out = new Out();
        out.u32(Tpm2Quote.TPM_GENERATED).u16(Tpm2Quote.ST_ATTEST_QUOTE);
        byte[] name = new byte[34];
        name[1] = 0x0b;
        out.sized(name).sized(nonce);
        out.u32(0).u32(123_456).u32(1).u32(0).u8(1); // clock (u64), resetCount, restartCount, safe
        out.u32(0x20191023).u32(0x00163636); // firmwareVersion
        out.u32(1).u16(Tpm2Quote.ALG_SHA256).u8(selectBytes).raw(select);
        out.sized(digest);
        return out.toByteArray();
    }

    /** A big-endian writer for TPM structures. */
    static final class Out {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Out u8(int v) {
            b.write(v);
            return this;
        }

        Out u16(int v) {
            return u8(v >>> 8).u8(v);
        }

        Out u32(int v) {
            return u16(v >>> 16).u16(v);
        }

        Out raw(byte[] v) {
            b.writeBytes(v);
            return this;
        }

        Out sized(byte[] v) {
            return u16(v.length).raw(v);
        }

        byte[] toByteArray() {
            return b.toByteArray();
        }
    }
}
