package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.attestation.Tpm2Pcrs;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.auth.Term;
import dev.cloudproxy.tao.domain.PolicyFacts;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The TPM vocabulary of {@code tao domain policy}: which TPM attestation keys and which PCR values
 * a domain trusts ({@code TrustedTpm}, {@code TrustedTpmPcrs}; the template's rule makes a TPM in
 * those PCR values a {@code TrustedPlatform}). Each option also takes a TPM-rooted principal name
 * as a host prints it ({@code tpm2([..]).PCRs(..)...}), so an operator can trust exactly the state
 * a host reports.
 */
final class TpmPolicyOptions {
    @Option(names = "--retract-tpm2", paramLabel = "AK", description = "Remove TrustedTpm(tpm2([..])).")
    private List<String> retractTpms = new ArrayList<>();

    @Option(names = "--retract-tpm2-pcrs", paramLabel = "PCRS", description = "Remove TrustedTpmPcrs(ext.PCRs(..)).")
    private List<String> retractPcrs = new ArrayList<>();

    @Option(names = "--add-tpm2", paramLabel = "AK",
            description = "Add TrustedTpm(tpm2([..])): a TPM attestation key, tpm2([HASH]) or a TPM-rooted name (its key is taken).")
    private List<String> addTpms = new ArrayList<>();

    @Option(names = "--add-tpm2-pcrs", paramLabel = "PCRS",
            description = "Add TrustedTpmPcrs(ext.PCRs(\"list\", \"values\")): PCR values, as ext.PCRs(..) or a TPM-rooted name (its PCRs are taken).")
    private List<String> addPcrs = new ArrayList<>();

    @Option(names = "--add-ek-ca", paramLabel = "FILE",
            description = "Add TrustedEkCa([..]): the domain service enrols TPMs whose EK certificate chains to this CA "
                    + "certificate (PEM; a TPM manufacturer's, or your own). Named by the hash of its public key.")
    private List<Path> addEkCas = new ArrayList<>();

    @Option(names = "--retract-ek-ca", paramLabel = "FILE", description = "Remove TrustedEkCa([..]) of this CA certificate (PEM).")
    private List<Path> retractEkCas = new ArrayList<>();

    /** The retractions, parsed. */
    List<Form> retractions() throws InputException {
        List<Form> out = facts(retractTpms, retractPcrs, "--retract-tpm2", "--retract-tpm2-pcrs");
        out.addAll(ekCas(retractEkCas, "--retract-ek-ca"));
        return out;
    }

    /** The additions, parsed. */
    List<Form> additions() throws InputException {
        List<Form> out = facts(addTpms, addPcrs, "--add-tpm2", "--add-tpm2-pcrs");
        out.addAll(ekCas(addEkCas, "--add-ek-ca"));
        return out;
    }

    private static List<Form> ekCas(List<Path> files, String option) throws InputException {
        List<Form> out = new ArrayList<>();
        for (Path f : files) {
            out.add(PolicyFacts.trustedEkCa(readCertificate(f, option)));
        }
        return out;
    }

    /** One PEM certificate from {@code file}, for {@code option}'s error message. */
    static X509Certificate readCertificate(Path file, String option) throws InputException {
        try {
            return ProgramCertificate.parsePem(AtomicFiles.readAtMost(file, 64 * 1024 + 1));
        } catch (IOException e) {
            throw InputException.file(option + ": cannot read " + file, file, e);
        } catch (CertificateException e) {
            throw new InputException(option + ": " + file + " is not one PEM certificate: " + e.getMessage());
        }
    }

    private static List<Form> facts(List<String> tpms, List<String> pcrs, String tpmOption, String pcrsOption)
            throws InputException {
        // Mutable: the EK CA facts follow.
        List<Form> out = new ArrayList<>();
        for (String t : tpms) {
            out.add(PolicyFacts.trustedTpm(tpmName(tpmOption, t).root()));
        }
        for (String p : pcrs) {
            try {
                out.add(PolicyFacts.trustedTpmPcrs(pcrs(pcrsOption, p)));
            } catch (IllegalArgumentException e) {
                throw new InputException(pcrsOption + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static Prin tpmName(String option, String text) throws InputException {
        Term t = term(option, text);
        if (t instanceof Prin p && "tpm2".equals(p.type())) {
            return p;
        }
        throw new InputException(option + ": expected a TPM attestation key tpm2([..]) or a name starting with it");
    }

    private static PrinTail pcrs(String option, String text) throws InputException {
        Term t = term(option, text);
        if (t instanceof PrinTail tail) {
            return tail;
        }
        if (t instanceof Prin p && "tpm2".equals(p.type()) && !p.ext().isEmpty()
                && Tpm2Pcrs.EXTENSION.equals(p.ext().exts().get(0).name())) {
            return new PrinTail(new SubPrin(p.ext().exts().subList(0, 1)));
        }
        throw new InputException(option + ": expected ext.PCRs(\"list\", \"values\") or a name tpm2([..]).PCRs(..)");
    }

    private static Term term(String option, String text) throws InputException {
        try {
            return AuthText.parseTerm(text);
        } catch (AuthFormatException e) {
            throw new InputException(option + ": " + e.getMessage());
        }
    }
}
