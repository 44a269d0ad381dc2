/** The smallest Tao program: it asks its host for its name. */
package dev.cloudproxy.tao.samples.whoami;
