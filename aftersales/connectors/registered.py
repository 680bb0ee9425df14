"""Every provider module, imported here once so each has registered what it adds (测试连接,
its platform sync, the ``sms`` and ``erp`` outbox channels, the ``sf`` and ``zto`` couriers) wherever the
connectors are used: the console, the CLI and the jobs import this module."""

from aftersales.connectors import douyin, jushuitan, pdd, sf_express, sms, taobao, tracking, wangdiantong, zto

PROVIDER_MODULES = (douyin, jushuitan, pdd, sf_express, sms, taobao, tracking, wangdiantong, zto)
