/**
 * The Tao API: what applications compile against (JDK only). See {@link dev.cloudproxy.tao.Tao}.
 */
module dev.cloudproxy.tao.api {
    exports dev.cloudproxy.tao;
    exports dev.cloudproxy.tao.spi;

    uses dev.cloudproxy.tao.spi.TaoProvider;
}
