/**
 * The TPM 2.0 Tao over TSS.Java: quotes, PCR-bound sealing, NV counters, AK certification.
 *
 * <p>Built by the TPM issue.
 */
package dev.cloudproxy.tao.tpm;
